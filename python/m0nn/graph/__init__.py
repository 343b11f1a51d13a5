"""Models that are graphs of operators (conv nets): the typed form, the ONNX
import rules, the integer reference, arena planning and the C emitter.

Fully connected chains keep their own faster path (m0nn.model, m0nn.codegen);
a model goes through this package when it holds an operator that path lacks
(see `needs_graph`)."""
