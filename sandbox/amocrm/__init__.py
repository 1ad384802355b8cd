"""The amoCRM (Kommo) API v4 emulator. Start with `python -m sandbox amocrm`; read README.md here.

Public API: `sandbox.amocrm.app.create_app`, `sandbox.amocrm.client.AmoSandbox` (admin client),
`sandbox.amocrm.testing.start_amocrm` / `running_amocrm` (in-process server for tests).
"""
