// Verity user hash in Kotlin/JVM (JDK standard library only).
// Usage: kotlinc UserHash.kt -include-runtime -d user_hash.jar && java -jar user_hash.jar SECRET IDENTIFIER
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

fun userHash(secret: String, identifier: String): String {
    val mac = Mac.getInstance("HmacSHA256")
    mac.init(SecretKeySpec(secret.toByteArray(Charsets.UTF_8), "HmacSHA256"))
    return mac.doFinal(identifier.toByteArray(Charsets.UTF_8)).joinToString("") { "%02x".format(it) }
}

fun main(args: Array<String>) {
    println(userHash(args[0], args[1]))
}
