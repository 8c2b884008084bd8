<?php
// Verity user hash in PHP (core hash extension).
// Usage: php user_hash.php SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
[, $secret, $identifier] = $argv;
// hash_hmac takes the MESSAGE before the KEY.
echo hash_hmac('sha256', $identifier, $secret), "\n";
