import sys

from server.bench import main

sys.exit(main(sys.argv[1:]))
