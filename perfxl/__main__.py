from perfxl.cli import main

main()
