// Verity user hash in Swift (CryptoKit on Apple platforms; swift-crypto's `Crypto` module elsewhere).
// Usage: swift UserHash.swift SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
import Foundation
#if canImport(CryptoKit)
import CryptoKit
#else
import Crypto
#endif

func userHash(secret: String, identifier: String) -> String {
    let key = SymmetricKey(data: Data(secret.utf8))
    let mac = HMAC<SHA256>.authenticationCode(for: Data(identifier.utf8), using: key)
    return mac.map { String(format: "%02x", $0) }.joined()
}

print(userHash(secret: CommandLine.arguments[1], identifier: CommandLine.arguments[2]))
