// Verity identity token signed ES256 with your own private key, in Go (standard library only).
// Usage: go run identity_token_es256.go PRIVATE_KEY_PEM_FILE KID USER_ID
// The key: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out private.pem
package main

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

func part(value any) string {
	data, err := json.Marshal(value)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

func main() {
	pemFile, kid, userID := os.Args[1], os.Args[2], os.Args[3]
	data, err := os.ReadFile(pemFile)
	if err != nil {
		panic(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		panic("no PEM block in " + pemFile)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	key := parsed.(*ecdsa.PrivateKey)
	iat := time.Now().Unix()
	input := part(map[string]any{"alg": "ES256", "typ": "JWT", "kid": kid}) + "." +
		part(map[string]any{"user_id": userID, "iat": iat, "exp": iat + 600})
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		panic(err)
	}
	// JWS wants the raw r||s signature, each left-padded to 32 bytes.
	signature := make([]byte, 64)
	r.FillBytes(signature[:32])
	s.FillBytes(signature[32:])
	fmt.Println(input + "." + base64.RawURLEncoding.EncodeToString(signature))
}
