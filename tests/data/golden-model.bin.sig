{
  "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
  "verificationMaterial": {
    "publicKey": {
      "hint": "509700074fe41e84e5c7af58a49eec36c3fe8ca4fde0a4feb0b077ad2ac35627"
    },
    "tlogEntries": []
  },
  "dsseEnvelope": {
    "payload": "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJwcmVkaWNhdGUiOnsiaHR0cHM6Ly92b3VjaC5kZXYvbWV0YWRhdGEvdjEiOnsiZmlsZXMiOnsiLiI6MTAwMDB9LCJuYW1lIjoiZ29sZGVuLXdlaWdodHMiLCJzaWduZWRfYXQiOiIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsInZlcnNpb24iOjN9LCJyZXNvdXJjZXMiOlt7ImFsZ29yaXRobSI6InNoYTI1Ni1zaGFyZGVkLTY3MTA4ODY0IiwiZGlnZXN0IjoiMmFiNmE2YjlhNmVlMzUxZGYzOGE3NzYwMWZlMTY2OTg3OTlkZmFhZTk1MGQ3MzliYTU3NzU4YjdjOThmZGUyZiIsIm5hbWUiOiIuOjA6MTAwMDAifV0sInNlcmlhbGl6YXRpb24iOnsiYWxsb3dfc3ltbGlua3MiOmZhbHNlLCJoYXNoX3R5cGUiOiJzaGEyNTYiLCJtZXRob2QiOiJzaGFyZHMiLCJzaGFyZF9zaXplIjo2NzEwODg2NH19LCJwcmVkaWNhdGVUeXBlIjoiaHR0cHM6Ly9tb2RlbF9zaWduaW5nL3NpZ25hdHVyZS92MS4wIiwic3ViamVjdCI6W3siZGlnZXN0Ijp7InNoYTI1NiI6Ijg5MjcxMzYzYTgzOGI1NDgwOTQ5OWI0ZGViZjBjMmE4MWI4ODU3MGU3NDliMTFiMjUxZGRmZjViZmJmMjgwZmMifSwibmFtZSI6Im1vZGVsLmJpbiJ9XX0=",
    "payloadType": "application/vnd.in-toto+json",
    "signatures": [
      {
        "sig": "SiB1d3ViD9dhqFCyXM/CFSJ+gwUi8IQaRkqNt/1j2PFkSuyWo7ylOb7XaJlZiyPxx3dSwhjEXOTYE2Qwb8zmDQ==",
        "keyid": ""
      }
    ]
  }
}