from perfxl.cli.main import main

main()
