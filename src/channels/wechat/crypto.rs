//! WeChat message-push crypto, byte for byte as the official WXBizMsgCrypt samples: SHA-1
//! signatures over byte-wise sorted strings, and AES-256-CBC with the key's first 16 bytes
//! as IV over `random(16) ‖ u32 BE length ‖ message ‖ appid`, PKCS#7-padded to **32** bytes.
//!
//! Callers verify the signature before decrypting: the padding check below is not
//! constant-time, which is harmless only because tampered ciphertext never reaches it.

use aes::Aes256;
use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::general_purpose::STANDARD as STANDARD_PADDED;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::message::{Format, canonical_number, xml_cdata};

/// WeChat pads to 32 bytes, not the AES block of 16: standard unpadding rejects about half
/// of real messages.
const PAD_BLOCK: usize = 32;
/// The AES block size, which the ciphertext length must be a multiple of.
const AES_BLOCK: usize = 16;
/// The random prefix and the big-endian message length before the message.
const HEADER_LEN: usize = 16 + 4;
/// The length of an EncodingAESKey: 32 bytes in base64 without its `=`.
const ENCODING_AES_KEY_LEN: usize = 43;

/// The official keys have non-zero trailing bits, which strict decoders reject; the official
/// samples' decoders accept them, and so does this one, with or without the `=` padding.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a push could not be verified or decrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The EncodingAESKey is not 43 base64 characters.
    #[error("EncodingAESKey must be 43 base64 characters (32 bytes)")]
    BadKey,
    /// `Encrypt` is not base64.
    #[error("Encrypt is not valid base64")]
    BadBase64,
    /// The ciphertext length is not a whole number of AES blocks, or too short for a message.
    #[error("ciphertext of {len} bytes is not a multiple of 16 bytes of at least 32")]
    BadCiphertext {
        /// The decoded ciphertext length.
        len: usize,
    },
    /// The decrypted data does not end in PKCS#7 padding of 1 to 32 bytes.
    #[error("decrypted data has no valid PKCS#7 padding (block size 32)")]
    BadPadding,
    /// The length field does not fit the decrypted data.
    #[error("decrypted frame needs {needed} bytes but has {available}")]
    BadLength {
        /// Bytes the header and declared message length need.
        needed: usize,
        /// Bytes there are after unpadding.
        available: usize,
    },
    /// The message was encrypted for another app (third-party platforms use the component appid).
    #[error("message is for appid {found:?}, expected {expected:?}")]
    AppidMismatch {
        /// This app's appid.
        expected: String,
        /// The receive-id found after the message (lossily decoded).
        found: String,
    },
    /// The decrypted message is not UTF-8.
    #[error("decrypted message is not UTF-8")]
    BadUtf8,
}

/// A WeChat app's push credentials: Token, EncodingAESKey, appid (the receive-id).
#[derive(Clone)]
pub struct WechatCrypto {
    token: String,
    key: [u8; 32],
    appid: String,
}

impl std::fmt::Debug for WechatCrypto {
    // The token and key are secrets: a config dump or an error log must not leak them.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WechatCrypto")
            .field("token", &"<redacted>")
            .field("key", &"<redacted>")
            .field("appid", &self.appid)
            .finish()
    }
}

/// A decrypted frame: its random prefix and the message bytes.
#[derive(Debug, PartialEq, Eq)]
struct Opened {
    random: [u8; 16],
    message: Vec<u8>,
}

impl WechatCrypto {
    /// Credentials from the admin console's Token, 43-character EncodingAESKey and appid.
    pub fn new(token: &str, encoding_aes_key: &str, appid: &str) -> Result<WechatCrypto, CryptoError> {
        if encoding_aes_key.len() != ENCODING_AES_KEY_LEN {
            return Err(CryptoError::BadKey);
        }
        let decoded =
            LENIENT_BASE64.decode(format!("{encoding_aes_key}=")).map_err(|_| CryptoError::BadKey)?;
        let key = decoded.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(WechatCrypto { token: token.to_string(), key, appid: appid.to_string() })
    }

    /// The 3-field `signature` of GET verification and plaintext-mode POSTs.
    pub fn signature(&self, timestamp: &str, nonce: &str) -> String {
        signature(&self.token, timestamp, nonce)
    }

    /// The 4-field `msg_signature` of safe and compatible mode, over `Encrypt` as sent.
    pub fn msg_signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        sha1_of_sorted(&mut [&self.token, timestamp, nonce, encrypt])
    }

    /// Whether `signature` is the 3-field signature, compared in constant time.
    pub fn verify_signature(&self, timestamp: &str, nonce: &str, signature: &str) -> bool {
        verify_signature(&self.token, timestamp, nonce, signature)
    }

    /// Whether `msg_signature` is the 4-field signature over `encrypt`, in constant time.
    pub fn verify_msg_signature(
        &self,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
        msg_signature: &str,
    ) -> bool {
        constant_time_eq(&self.msg_signature(timestamp, nonce, encrypt), msg_signature)
    }

    /// The message inside `Encrypt`, taken verbatim (no trimming), after checking the appid.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let ciphertext = LENIENT_BASE64.decode(encrypt).map_err(|_| CryptoError::BadBase64)?;
        let opened = self.open(&ciphertext)?;
        String::from_utf8(opened.message).map_err(|_| CryptoError::BadUtf8)
    }

    /// `Encrypt` for `plaintext` with the given random prefix (fresh for every reply).
    ///
    /// Panics if `plaintext` is 4 GiB or more, which the 32-bit length field cannot state.
    pub fn encrypt(&self, plaintext: &str, random: [u8; 16]) -> String {
        STANDARD_PADDED.encode(self.seal(plaintext.as_bytes(), random))
    }

    /// The body of an encrypted passive reply: `Encrypt`, `MsgSignature`, `TimeStamp` (a bare
    /// number) and `Nonce` (echo the request's), as CDATA-wrapped XML or as JSON.
    pub fn encrypted_reply(
        &self,
        plaintext: &str,
        timestamp: &str,
        nonce: &str,
        random: [u8; 16],
        format: Format,
    ) -> String {
        let encrypt = self.encrypt(plaintext, random);
        let signature = self.msg_signature(timestamp, nonce, &encrypt);
        // The signature covers the timestamp string, so it is written as a number only when
        // that number prints back as the same string.
        let number = canonical_number(timestamp);
        match format {
            Format::Xml => format!(
                "<xml>\n<Encrypt>{}</Encrypt>\n<MsgSignature>{}</MsgSignature>\n\
                 <TimeStamp>{}</TimeStamp>\n<Nonce>{}</Nonce>\n</xml>",
                xml_cdata(&encrypt),
                xml_cdata(&signature),
                number.map_or_else(|| xml_cdata(timestamp), |number| number.to_string()),
                xml_cdata(nonce),
            ),
            Format::Json => json!({
                "Encrypt": encrypt,
                "MsgSignature": signature,
                "TimeStamp": number.map_or_else(|| Value::from(timestamp), Value::from),
                "Nonce": nonce,
            })
            .to_string(),
        }
    }

    /// Frames, pads and encrypts `message`.
    fn seal(&self, message: &[u8], random: [u8; 16]) -> Vec<u8> {
        let declared = u32::try_from(message.len()).expect("a push message is far below 4 GiB");
        let framed_len = HEADER_LEN + message.len() + self.appid.len();
        // 1..=32: an aligned frame still gets a whole block of padding.
        let pad = PAD_BLOCK - framed_len % PAD_BLOCK;
        let mut buffer = Vec::with_capacity(framed_len + pad);
        buffer.extend_from_slice(&random);
        buffer.extend_from_slice(&declared.to_be_bytes());
        buffer.extend_from_slice(message);
        buffer.extend_from_slice(self.appid.as_bytes());
        buffer.resize(framed_len + pad, pad as u8);
        self.cbc_encrypt(buffer)
    }

    /// AES-256-CBC over block-aligned data, without adding padding.
    fn cbc_encrypt(&self, mut buffer: Vec<u8>) -> Vec<u8> {
        let len = buffer.len();
        cbc::Encryptor::<Aes256>::new(&self.key.into(), &self.iv().into())
            .encrypt_padded_mut::<NoPadding>(&mut buffer, len)
            .expect("the frame is padded to whole blocks");
        buffer
    }

    /// Decrypts, unpads and unframes a ciphertext, checking the trailing appid.
    fn open(&self, ciphertext: &[u8]) -> Result<Opened, CryptoError> {
        if !ciphertext.len().is_multiple_of(AES_BLOCK) || ciphertext.len() < PAD_BLOCK {
            return Err(CryptoError::BadCiphertext { len: ciphertext.len() });
        }
        let mut buffer = ciphertext.to_vec();
        cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv().into())
            .decrypt_padded_mut::<NoPadding>(&mut buffer)
            .map_err(|_| CryptoError::BadCiphertext { len: ciphertext.len() })?;
        let framed = unpad(&buffer)?;
        let short = || CryptoError::BadLength { needed: HEADER_LEN, available: framed.len() };
        let (random, rest) = framed.split_first_chunk::<16>().ok_or_else(short)?;
        let (declared, rest) = rest.split_first_chunk::<4>().ok_or_else(short)?;
        let declared = u32::from_be_bytes(*declared) as usize;
        if declared > rest.len() {
            return Err(CryptoError::BadLength { needed: HEADER_LEN + declared, available: framed.len() });
        }
        let (message, appid) = rest.split_at(declared);
        if appid != self.appid.as_bytes() {
            return Err(CryptoError::AppidMismatch {
                expected: self.appid.clone(),
                found: String::from_utf8_lossy(appid).into_owned(),
            });
        }
        Ok(Opened { random: *random, message: message.to_vec() })
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }
}

/// The frame inside PKCS#7 padding of 1 to 32 bytes.
fn unpad(buffer: &[u8]) -> Result<&[u8], CryptoError> {
    let pad = usize::from(*buffer.last().ok_or(CryptoError::BadPadding)?);
    if !(1..=PAD_BLOCK).contains(&pad) || pad > buffer.len() {
        return Err(CryptoError::BadPadding);
    }
    let (framed, padding) = buffer.split_at(buffer.len() - pad);
    if padding.iter().any(|&byte| usize::from(byte) != pad) {
        return Err(CryptoError::BadPadding);
    }
    Ok(framed)
}

/// Lowercase hex SHA-1 of the strings concatenated in byte-wise order.
/// The 3-field `signature` under `token`: all a plaintext-mode app (no EncodingAESKey) has.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sha1_of_sorted(&mut [token, timestamp, nonce])
}

/// Whether `signature` is the 3-field signature under `token`, compared in constant time.
pub fn verify_signature(token: &str, timestamp: &str, nonce: &str, signature: &str) -> bool {
    constant_time_eq(&self::signature(token, timestamp, nonce), signature)
}

fn sha1_of_sorted(parts: &mut [&str]) -> String {
    // `str` orders by bytes, which is what WeChat sorts by.
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts.iter() {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

fn constant_time_eq(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::message::{Fields, parse_envelope, parse_message};
    use super::*;

    const VECTORS: &str = include_str!("../../../tests/fixtures/wechat/vectors.json");

    fn vectors() -> Value {
        serde_json::from_str(VECTORS).expect("fixture is JSON")
    }

    fn field<'a>(value: &'a Value, name: &str) -> &'a str {
        value[name].as_str().unwrap_or_else(|| panic!("vector field {name} is a string"))
    }

    fn crypto_of(vector: &Value) -> WechatCrypto {
        WechatCrypto::new(field(vector, "token"), field(vector, "encoding_aes_key"), field(vector, "appid"))
            .expect("vector key is valid")
    }

    /// The vectors' random prefixes are 16 ASCII characters, as the official samples make them.
    fn random_of(text: &str) -> [u8; 16] {
        text.as_bytes().try_into().expect("random is 16 bytes")
    }

    /// The plaintext a vector states, or the one derived where the source does not state it.
    fn plaintext_of(vector: &Value) -> (&str, &str) {
        match vector["expected_plaintext"].as_str() {
            Some(plaintext) => (plaintext, field(vector, "expected_random")),
            None => (field(vector, "derived_plaintext"), field(vector, "derived_random")),
        }
    }

    fn test_crypto() -> WechatCrypto {
        WechatCrypto::new("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx_app")
            .expect("valid key")
    }

    fn every_vector() -> Vec<Value> {
        vectors()["vectors"].as_array().expect("vectors is a list").clone()
    }

    #[test]
    fn every_vector_signature_and_msg_signature_match() {
        for vector in every_vector() {
            let crypto = crypto_of(&vector);
            let (timestamp, nonce) = (field(&vector, "timestamp"), field(&vector, "nonce"));
            let encrypt = field(&vector, "encrypt");
            assert_eq!(crypto.msg_signature(timestamp, nonce, encrypt), field(&vector, "msg_signature"));
            assert!(crypto.verify_msg_signature(timestamp, nonce, encrypt, field(&vector, "msg_signature")));
            if let Some(url_signature) = vector["url_signature"].as_str() {
                assert_eq!(crypto.signature(timestamp, nonce), url_signature);
                assert!(crypto.verify_signature(timestamp, nonce, url_signature));
                // Safe mode must check msg_signature: the 3-field one is not it.
                assert!(!crypto.verify_msg_signature(timestamp, nonce, encrypt, url_signature));
            }
        }
    }

    #[test]
    fn every_vector_decrypts_to_its_plaintext_and_random() {
        for vector in every_vector() {
            let crypto = crypto_of(&vector);
            let encrypt = field(&vector, "encrypt");
            let (plaintext, random) = plaintext_of(&vector);
            assert_eq!(crypto.decrypt(encrypt).as_deref(), Ok(plaintext), "{}", vector["id"]);
            let ciphertext = LENIENT_BASE64.decode(encrypt).expect("vector is base64");
            let opened = crypto.open(&ciphertext).expect("vector opens");
            assert_eq!(opened, Opened { random: random_of(random), message: plaintext.as_bytes().to_vec() });
            if let Some(len) = vector["expected_ciphertext_len"].as_u64() {
                assert_eq!(ciphertext.len() as u64, len);
                assert_eq!(vector["expected_msg_len"].as_u64(), Some(plaintext.len() as u64));
            }
        }
    }

    #[test]
    fn every_vector_encrypts_back_to_its_exact_ciphertext() {
        for vector in every_vector() {
            let (plaintext, random) = plaintext_of(&vector);
            let encrypt = crypto_of(&vector).encrypt(plaintext, random_of(random));
            assert_eq!(encrypt, field(&vector, "encrypt"), "{}", vector["id"]);
        }
    }

    #[test]
    fn decrypted_vector_plaintexts_parse_as_messages() {
        let vectors = every_vector();
        let (json, _) = plaintext_of(&vectors[0]);
        assert!(matches!(
            parse_message(json, Format::Json),
            Ok(super::super::message::PushMessage::DebugDemo { debug_str, .. }) if debug_str == "hello world"
        ));
        let (xml, _) = plaintext_of(&vectors[1]);
        assert!(matches!(
            parse_message(xml, Format::Xml),
            Ok(super::super::message::PushMessage::Text { msg_id: 6054768590064713728, content, .. })
                if content == "abcdteT"
        ));
    }

    #[test]
    fn the_docs_encrypted_reply_is_reproduced_exactly() {
        for vector in every_vector() {
            let Some(reply) = vector.get("reply") else { continue };
            let crypto = crypto_of(&vector);
            let (timestamp, nonce) = (field(reply, "timestamp"), field(reply, "nonce"));
            let random = random_of(field(reply, "random"));
            let encrypt = crypto.encrypt(field(reply, "plaintext"), random);
            assert_eq!(encrypt, field(reply, "encrypt"));
            assert_eq!(crypto.msg_signature(timestamp, nonce, &encrypt), field(reply, "msg_signature"));
            assert_eq!(crypto.decrypt(&encrypt).as_deref(), Ok(field(reply, "plaintext")));
            let body =
                crypto.encrypted_reply(field(reply, "plaintext"), timestamp, nonce, random, Format::Json);
            assert_eq!(serde_json::from_str::<Value>(&body).ok().as_ref(), Some(&reply["body_json"]));
        }
    }

    #[test]
    fn every_signature_only_case_matches_and_sorts_byte_wise() {
        for case in vectors()["signature_only"].as_array().expect("signature_only is a list") {
            let crypto = WechatCrypto::new(field(case, "token"), &"A".repeat(43), "wx").expect("valid key");
            let (timestamp, nonce) = (field(case, "timestamp"), field(case, "nonce"));
            assert_eq!(crypto.signature(timestamp, nonce), field(case, "signature"), "{}", case["id"]);
            assert!(crypto.verify_signature(timestamp, nonce, field(case, "signature")));
            if let Some(sorted) = case["sorted"].as_array() {
                let mut parts = [field(case, "token"), timestamp, nonce];
                parts.sort_unstable();
                let sorted: Vec<&str> = sorted.iter().filter_map(Value::as_str).collect();
                assert_eq!(parts.as_slice(), sorted.as_slice());
            }
        }
    }

    #[test]
    fn wrong_signatures_are_refused() {
        let crypto = test_crypto();
        let good = crypto.signature("1", "2");
        for bad in
            [String::new(), good[..39].to_string(), format!("{good}0"), good.to_uppercase(), "0".repeat(40)]
        {
            assert!(!crypto.verify_signature("1", "2", &bad), "{bad}");
        }
        assert!(!crypto.verify_signature("1", "3", &good));
        let msg_good = crypto.msg_signature("1", "2", "e");
        assert!(!crypto.verify_msg_signature("1", "2", "e ", &msg_good));
    }

    #[test]
    fn encrypted_replies_parse_back_and_their_signature_verifies() {
        let crypto = test_crypto();
        for format in [Format::Xml, Format::Json] {
            let body = crypto.encrypted_reply("<xml>reply</xml>", "1713424427", "n]]>1", [7; 16], format);
            let fields = Fields::parse(&body, format).expect("reply parses");
            let (encrypt, signature) = (fields.get("Encrypt").expect("Encrypt"), fields.get("MsgSignature"));
            let (timestamp, nonce) =
                (fields.get("TimeStamp").expect("TimeStamp"), fields.get("Nonce").expect("Nonce"));
            assert_eq!((timestamp, nonce), ("1713424427", "n]]>1"), "{format:?}");
            assert!(crypto.verify_msg_signature(timestamp, nonce, encrypt, signature.expect("MsgSignature")));
            assert_eq!(crypto.decrypt(encrypt).as_deref(), Ok("<xml>reply</xml>"));
            let envelope = parse_envelope(&body, format).expect("reply is an envelope");
            assert_eq!(envelope.encrypt.as_deref(), Some(encrypt));
        }
    }

    #[test]
    fn the_xml_reply_has_the_official_layout_with_a_bare_timestamp() {
        let crypto = test_crypto();
        let body = crypto.encrypted_reply("x", "1713424427", "415670741", [1; 16], Format::Xml);
        let encrypt = crypto.encrypt("x", [1; 16]);
        let signature = crypto.msg_signature("1713424427", "415670741", &encrypt);
        assert_eq!(
            body,
            format!(
                "<xml>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n\
                 <TimeStamp>1713424427</TimeStamp>\n<Nonce><![CDATA[415670741]]></Nonce>\n</xml>"
            )
        );
    }

    #[test]
    fn a_non_canonical_timestamp_is_kept_as_the_string_that_was_signed() {
        let crypto = test_crypto();
        let body = crypto.encrypted_reply("x", "0017", "n", [1; 16], Format::Json);
        assert_eq!(
            serde_json::from_str::<Value>(&body).ok().map(|body| body["TimeStamp"].clone()),
            Some(json!("0017"))
        );
        let body = crypto.encrypted_reply("x", "0017", "n", [1; 16], Format::Xml);
        assert!(body.contains("<TimeStamp><![CDATA[0017]]></TimeStamp>"), "{body}");
    }

    #[test]
    fn every_padding_length_from_1_to_32_round_trips() {
        let crypto = test_crypto();
        let mut pads = std::collections::BTreeSet::new();
        for len in 0..64 {
            let message = "m".repeat(len);
            let ciphertext = crypto.seal(message.as_bytes(), [9; 16]);
            let mut plain = ciphertext.clone();
            cbc::Decryptor::<Aes256>::new(&crypto.key.into(), &crypto.iv().into())
                .decrypt_padded_mut::<NoPadding>(&mut plain)
                .expect("aligned");
            pads.insert(plain.last().copied());
            assert_eq!(ciphertext.len() % PAD_BLOCK, 0);
            assert_eq!(crypto.decrypt(&crypto.encrypt(&message, [9; 16])), Ok(message));
        }
        assert_eq!(pads, (1..=32).map(Some).collect());
    }

    #[test]
    fn a_wrong_appid_is_refused_and_named() {
        let sender = test_crypto();
        let receiver = WechatCrypto::new("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx_other")
            .expect("valid key");
        assert_eq!(
            receiver.decrypt(&sender.encrypt("hello", [0; 16])),
            Err(CryptoError::AppidMismatch { expected: "wx_other".into(), found: "wx_app".into() })
        );
    }

    #[test]
    fn tampered_ciphertext_is_an_error_not_a_panic() {
        let crypto = test_crypto();
        let ciphertext = crypto.seal(b"a message long enough to span blocks", [3; 16]);
        for index in 0..ciphertext.len() {
            let mut tampered = ciphertext.clone();
            tampered[index] ^= 0x01;
            let result = crypto.decrypt(&STANDARD_PADDED.encode(&tampered));
            // A flip in the first block garbles only the random prefix and flips the same bit
            // of the next block, which can still be a valid message: the signature catches it.
            if index >= AES_BLOCK {
                assert!(result.is_err(), "byte {index}: {result:?}");
            }
        }
    }

    #[test]
    fn bad_padding_is_refused() {
        let crypto = test_crypto();
        for last_block in [[0u8; 32], [33; 32], [2; 32], {
            let mut block = [4u8; 32];
            block[29] = 5;
            block
        }] {
            let mut frame = [1u8; 32].to_vec();
            frame.extend_from_slice(&last_block);
            if last_block[31] == 2 {
                frame[62] = 1;
            }
            let encrypt = STANDARD_PADDED.encode(crypto.cbc_encrypt(frame));
            assert_eq!(crypto.decrypt(&encrypt), Err(CryptoError::BadPadding), "{last_block:?}");
        }
    }

    #[test]
    fn a_length_field_beyond_the_data_is_refused() {
        let crypto = test_crypto();
        let mut frame = vec![0u8; 16];
        frame.extend_from_slice(&1000u32.to_be_bytes());
        frame.extend_from_slice(b"short");
        frame.resize(32, 7);
        frame.resize(64, 32);
        let encrypt = STANDARD_PADDED.encode(crypto.cbc_encrypt(frame));
        assert_eq!(crypto.decrypt(&encrypt), Err(CryptoError::BadLength { needed: 1020, available: 32 }));
        // A whole block of padding leaves nothing for the header.
        let encrypt = STANDARD_PADDED.encode(crypto.cbc_encrypt(vec![32; 32]));
        assert_eq!(crypto.decrypt(&encrypt), Err(CryptoError::BadLength { needed: 20, available: 0 }));
    }

    #[test]
    fn a_message_that_is_not_utf8_is_refused() {
        let crypto = test_crypto();
        let encrypt = STANDARD_PADDED.encode(crypto.seal(&[0xff, 0xfe], [0; 16]));
        assert_eq!(crypto.decrypt(&encrypt), Err(CryptoError::BadUtf8));
    }

    #[test]
    fn bad_base64_and_bad_lengths_are_refused() {
        let crypto = test_crypto();
        let encrypt = crypto.encrypt("hello", [0; 16]);
        // Encrypt is taken verbatim: surrounding whitespace is not base64.
        assert_eq!(crypto.decrypt(&format!(" {encrypt}")), Err(CryptoError::BadBase64));
        assert_eq!(crypto.decrypt("not base64!"), Err(CryptoError::BadBase64));
        for len in [0, 16, 33, 47] {
            let encrypt = STANDARD_PADDED.encode(vec![0u8; len]);
            assert_eq!(crypto.decrypt(&encrypt), Err(CryptoError::BadCiphertext { len }));
        }
    }

    #[test]
    fn keys_of_the_wrong_length_or_alphabet_are_refused() {
        for key in [
            "",
            &"A".repeat(42),
            &"A".repeat(44),
            &format!("{}=", "A".repeat(42)),
            &format!("{}-", "A".repeat(42)),
        ] {
            assert_eq!(WechatCrypto::new("t", key, "wx").err(), Some(CryptoError::BadKey), "{key:?}");
        }
        let multibyte = format!("{}中", "A".repeat(40));
        assert_eq!(WechatCrypto::new("t", &multibyte, "wx").err(), Some(CryptoError::BadKey));
    }

    #[test]
    fn debug_output_hides_the_token_and_key() {
        let debug =
            format!("{:?}", WechatCrypto::new("s3cr3t-token", &"Q".repeat(43), "wx_app").expect("valid key"));
        assert!(debug.contains("wx_app"), "{debug}");
        // No token, no key text and no byte array.
        assert!(!debug.contains("s3cr3t") && !debug.contains("QQQ") && !debug.contains('['), "{debug}");
    }

    proptest! {
        #[test]
        fn any_utf8_message_round_trips(
            message in proptest::collection::vec(any::<char>(), 0..200).prop_map(String::from_iter),
            random in any::<[u8; 16]>(),
            appid in "[a-z0-9_]{0,40}",
        ) {
            let crypto = WechatCrypto::new("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", &appid)
                .expect("valid key");
            let encrypt = crypto.encrypt(&message, random);
            let ciphertext = STANDARD_PADDED.decode(&encrypt).expect("encrypt is base64");
            prop_assert_eq!(ciphertext.len() % PAD_BLOCK, 0);
            prop_assert_eq!(crypto.open(&ciphertext), Ok(Opened { random, message: message.clone().into_bytes() }));
            prop_assert_eq!(crypto.decrypt(&encrypt), Ok(message));
        }

        #[test]
        fn key_decoding_ignores_the_trailing_bits(key in any::<[u8; 32]>(), trailing in 0u8..4) {
            let canonical = base64::engine::general_purpose::STANDARD_NO_PAD.encode(key);
            // 43 characters hold 258 bits: the last character's two low bits are spare.
            let last = canonical.as_bytes()[42];
            let index = STANDARD_ALPHABET.iter().position(|&c| c == last).expect("base64 character");
            let lenient = format!("{}{}", &canonical[..42], char::from(STANDARD_ALPHABET[(index & !3) | usize::from(trailing)]));
            let crypto = WechatCrypto::new("t", &lenient, "wx").expect("lenient key decodes");
            prop_assert_eq!(crypto.key, key);
        }

        #[test]
        fn decrypting_arbitrary_data_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = test_crypto().decrypt(&STANDARD_PADDED.encode(&data));
        }
    }

    const STANDARD_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}
