# Atoll's Python runtime bootstrap: the script the execution environment starts. The runtime lives in
# atoll_lambda_runtime.py beside it, imported (a script's bytecode is never cached, a module's is);
# importing it puts the task root and the layers first on sys.path in place of this directory.
from atoll_lambda_runtime import main

main()
