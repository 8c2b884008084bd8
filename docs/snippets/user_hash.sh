#!/bin/sh
# Verity user hash in POSIX shell with the openssl command.
# Usage: sh user_hash.sh SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
# printf '%s', not echo: the message must not get a trailing newline.
printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //'
