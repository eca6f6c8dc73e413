from linkage.cli import app

app(prog_name="linkage")
