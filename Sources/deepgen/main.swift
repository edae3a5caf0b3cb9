import DeepGenCLI

DeepGenCommand.main()
