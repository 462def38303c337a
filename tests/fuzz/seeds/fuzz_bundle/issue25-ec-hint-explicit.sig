{
  "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
  "verificationMaterial": {
    "publicKey": {
      "hint": "ce5f8ca646b32c6b3e506a6a8df4bdacb031cbc3ecccca4b0ab12e76fe5a98de"
    },
    "tlogEntries": []
  },
  "dsseEnvelope": {
    "payload": "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJwcmVkaWNhdGUiOnsiaHR0cHM6Ly92b3VjaC5kZXYvbWV0YWRhdGEvdjEiOnsiZmlsZXMiOnsidy5iaW4iOjQwOTZ9LCJuYW1lIjoiZWNtb2RlbCIsInNpZ25lZF9hdCI6IjIwMjYtMDEtMDFUMDA6MDA6MDBaIiwidmVyc2lvbiI6MX0sInJlc291cmNlcyI6W3siYWxnb3JpdGhtIjoic2hhMjU2LXNoYXJkZWQtNjcxMDg4NjQiLCJkaWdlc3QiOiIxY2EyM2JhYjFlYzUzNGQxYjQ4ODIxYTYyNWY5YjJmY2E0MjI3OTAyZTg0YWJkZGQ2M2U0N2E0YzI5ZGQ4NWEwIiwibmFtZSI6IncuYmluOjA6NDA5NiJ9XSwic2VyaWFsaXphdGlvbiI6eyJhbGxvd19zeW1saW5rcyI6ZmFsc2UsImhhc2hfdHlwZSI6InNoYTI1NiIsImlnbm9yZV9wYXRocyI6WyIuZ2l0IiwiLmdpdGF0dHJpYnV0ZXMiLCIuZ2l0aHViIiwiLmdpdGlnbm9yZSIsIm1vZGVsLnNpZyIsIm1vZGVsLnNpZy5kIl0sIm1ldGhvZCI6InNoYXJkcyIsInNoYXJkX3NpemUiOjY3MTA4ODY0fX0sInByZWRpY2F0ZVR5cGUiOiJodHRwczovL21vZGVsX3NpZ25pbmcvc2lnbmF0dXJlL3YxLjAiLCJzdWJqZWN0IjpbeyJkaWdlc3QiOnsic2hhMjU2IjoiZWI5NGYzYmVkNzM1MWUwOTlkNDFiNTM2NzVlODM4NjQ2MDBhNGYwZTg5ZTI1OWUzYWFhNDJjZTJlZjMyNWMwYiJ9LCJuYW1lIjoiZWNtb2RlbCJ9XX0=",
    "payloadType": "application/vnd.in-toto+json",
    "signatures": [
      {
        "sig": "MEYCIQCVqC2P7KlX1ReRX8yKT+cg/uDSJ/oTS1yIXD3cHFkEGgIhAJP3D+UqmrTdlO2ksHS95rCW/nPD0IR03UqCA1I3KsMo",
        "keyid": ""
      }
    ]
  }
}