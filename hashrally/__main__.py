from hashrally.cli import main

main()
