// Verity identity token signed ES256 with your own private key, in Java 11+ (standard library only).
// Usage: java IdentityTokenEs256.java PRIVATE_KEY_PEM_FILE KID USER_ID
// The key (PKCS#8, which Java reads): openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out private.pem
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

public class IdentityTokenEs256 {
    static String b64url(byte[] data) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped. */
    static String json(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        String pem = Files.readString(Path.of(args[0]));
        String kid = args[1], userId = args[2];
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        long iat = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":" + json(kid) + "}";
        String payload = "{\"user_id\":" + json(userId) + ",\"iat\":" + iat + ",\"exp\":" + (iat + 600) + "}";
        String input = b64url(header.getBytes(StandardCharsets.UTF_8)) + "." + b64url(payload.getBytes(StandardCharsets.UTF_8));
        // "inP1363Format" gives the raw r||s signature (64 bytes) that JWS wants, not DER.
        Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.US_ASCII));
        System.out.println(input + "." + b64url(signer.sign()));
    }
}
