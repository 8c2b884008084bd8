// Verity user hash in C# (.NET or Mono base class library only).
// Usage: mcs UserHash.cs && mono UserHash.exe SECRET IDENTIFIER   (or put it in a `dotnet new console` project)
using System;
using System.Security.Cryptography;
using System.Text;

public static class UserHash
{
    public static string Compute(string secret, string identifier)
    {
        using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret)))
        {
            byte[] hash = hmac.ComputeHash(Encoding.UTF8.GetBytes(identifier));
            return BitConverter.ToString(hash).Replace("-", "").ToLowerInvariant();
        }
    }

    public static void Main(string[] args)
    {
        Console.WriteLine(Compute(args[0], args[1]));
    }
}
