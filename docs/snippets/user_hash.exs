# Verity user hash in Elixir (Erlang/OTP :crypto, OTP 22.1+).
# Usage: elixir user_hash.exs SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
[secret, identifier] = System.argv()

:crypto.mac(:hmac, :sha256, secret, identifier)
|> Base.encode16(case: :lower)
|> IO.puts()
