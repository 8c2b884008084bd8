# Verity user hash in Perl (core module Digest::SHA).
# Usage: perl user_hash.pl SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);

my ($secret, $identifier) = @ARGV;    # byte strings, as given
# hmac_sha256_hex takes the MESSAGE first and the KEY last.
print hmac_sha256_hex($identifier, $secret), "\n";
