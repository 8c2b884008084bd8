# Verity user hash in Tcl 8.6 with tcllib's sha256 package.
# Usage: tclsh user_hash.tcl SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
package require sha256

lassign $argv secret identifier
# Tcl strings are characters: turn them into UTF-8 bytes before hashing.
puts [::sha2::hmac -hex -key [encoding convertto utf-8 $secret] [encoding convertto utf-8 $identifier]]
