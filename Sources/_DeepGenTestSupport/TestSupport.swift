import DeepGen
