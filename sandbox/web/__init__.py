"""The sandbox page (`make sandbox`): the emulated spreadsheet, the real add-on sidebar and the amoCRM
board on one local URL. See README.md."""
