//! A browser's User-Agent read by its parts: the device in its platform is not a crawler's word.
//!
//! Chrome and WebViews on Android name the device in the platform part:
//! `Mozilla/5.0 (Linux; Android 14; <model> Build/…; wv) AppleWebKit/…`, and makers name their
//! phones and TVs anything ("Spider 8", "XBot Junior", "4K Google TV Stick"). So before the rules
//! matching anywhere run, each segment after the Android version in such a platform that reads
//! like a model (`<model>` or `<model> Build/<id>`, no other `/`) is read as `K`, the model Chrome
//! itself sends since its User-Agent reduction; `wv`, and a segment that names a product
//! (`DuplexWeb-Google/1.0`), stay. What follows the platform, the product tokens (Googlebot,
//! GPTBot, HeadlessChrome, a link-preview fetcher's name), is read as sent. Figures are the rule
//! generator's part: a crawler word that starts or ends with a digit (isbot's `24x7`) never
//! matches inside a longer number (`1024x720`, `2822MB`).
//!
//! Why a pass here rather than rules anchored outside the platform: a DFA that tells "inside an
//! Android platform" apart runs in step with every crawler rule, multiplying the states of DFAs
//! already split to fit their size; this pass costs every other User-Agent one compare of its
//! first bytes (desktop Chrome parts from it at the 14th), and an Android one a copy onto the
//! stack of at most [`MAX_USER_AGENT_BYTES`], read once: no allocation, the work still linear.

use super::MAX_USER_AGENT_BYTES;

/// How a browser on Android opens its User-Agent (browsers send this exact case).
const ANDROID_PLATFORM: &[u8] = b"Mozilla/5.0 (Linux; ";
/// What follows a browser's platform.
const AFTER_PLATFORM: &[u8] = b") AppleWebKit/";
/// The model Chrome sends for every device since its User-Agent reduction.
const REDUCED_MODEL: u8 = b'K';

/// The device's part of an Android browser's platform, as the byte range between the `;` that
/// ends the Android version and the `)` that ends the platform; `None` for any other shape.
pub(super) fn device_part(ua: &[u8]) -> Option<(usize, usize)> {
    let platform = ua.strip_prefix(ANDROID_PLATFORM)?;
    let len = memchr::memchr(b')', platform)?;
    let end = ANDROID_PLATFORM.len() + len;
    if !ua[end..].starts_with(AFTER_PLATFORM) {
        return None;
    }
    let mut at = ANDROID_PLATFORM.len();
    for segment in platform[..len].split(|&b| b == b';') {
        at += segment.len() + 1;
        if is_android_version(segment.trim_ascii_start()) {
            return (at <= end).then_some((at, end));
        }
    }
    None
}

/// `Android`, `Android 14`, `Android 4.4.2`: no model of its own.
fn is_android_version(segment: &[u8]) -> bool {
    segment.strip_prefix(b"Android").is_some_and(|v| {
        v.iter()
            .all(|&b| b == b' ' || b == b'.' || b.is_ascii_digit())
    })
}

/// `<model>` or `<model> Build/<id>`: not empty, not `wv`, and no `/` but the build id's.
fn is_model(segment: &[u8]) -> bool {
    let model = match segment.iter().rposition(|&b| b == b'/') {
        Some(slash) => match segment[..slash].strip_suffix(b" Build") {
            Some(model) => model,
            None => return false,
        },
        None => segment,
    };
    !model.is_empty() && segment != b"wv" && !model.contains(&b'/')
}

/// `ua` with each segment of its device part (`range`, from [`device_part`]) written as the
/// reduced model, into `buf`; never longer than `ua`.
pub(super) fn without_device<'b>(
    ua: &[u8],
    (start, end): (usize, usize),
    buf: &'b mut [u8; MAX_USER_AGENT_BYTES],
) -> &'b [u8] {
    let mut len = start;
    buf[..start].copy_from_slice(&ua[..start]);
    for (n, segment) in ua[start..end].split(|&b| b == b';').enumerate() {
        if n > 0 {
            buf[len] = b';';
            len += 1;
        }
        let spaces = segment.len() - segment.trim_ascii_start().len();
        buf[len..len + spaces].fill(b' ');
        len += spaces;
        let segment = &segment[spaces..];
        if is_model(segment) {
            buf[len] = REDUCED_MODEL;
            len += 1;
        } else {
            buf[len..len + segment.len()].copy_from_slice(segment);
            len += segment.len();
        }
    }
    let rest = &ua[end..];
    buf[len..len + rest.len()].copy_from_slice(rest);
    &buf[..len + rest.len()]
}
