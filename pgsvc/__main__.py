from pgsvc.cli import main

main()
