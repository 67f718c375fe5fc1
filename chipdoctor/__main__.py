from chipdoctor.cli import main

main()
