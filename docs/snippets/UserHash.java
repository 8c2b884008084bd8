// Verity user hash in Java 17+ (standard library only).
// Usage: java UserHash.java SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class UserHash {
    static String userHash(String secret, String identifier) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(identifier.getBytes(StandardCharsets.UTF_8)));
    }

    public static void main(String[] args) throws Exception {
        System.out.println(userHash(args[0], args[1]));
    }
}
