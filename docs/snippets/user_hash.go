// Verity user hash in Go (standard library only).
// Usage: go run user_hash.go SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
)

func userHash(secret, identifier string) string {
	mac := hmac.New(sha256.New, []byte(secret)) // the key is the secret
	mac.Write([]byte(identifier))
	return hex.EncodeToString(mac.Sum(nil))
}

func main() {
	fmt.Println(userHash(os.Args[1], os.Args[2]))
}
