// Verity user hash in Rust (crates: hmac 0.12, sha2 0.10; Rust's standard library has no HMAC).
// Usage: cargo run --quiet -- SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn user_hash(secret: &str, identifier: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(identifier.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("{}", user_hash(&args[1], &args[2]));
}
