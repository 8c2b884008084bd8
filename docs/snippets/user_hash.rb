# Verity user hash in Ruby (standard library: openssl).
# Usage: ruby user_hash.rb SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
require "openssl"

secret, identifier = ARGV
puts OpenSSL::HMAC.hexdigest("SHA256", secret, identifier) # key first, then the message
