/* models/digits_cnn.onnx (torch QAT export, a graph model) through lib/m0nn's graph runner, against the reference. */
#include "m0nn.h" /* first: PlatformIO's dependency finder looks here, not inside digits_cnn.h */
#include "digits_cnn.h"
#include "digits_cnn_test.h"

#define M0NN_TEST_MODEL digits_cnn
#define M0NN_TEST_MODEL_UP DIGITS_CNN
#include "graph_model_test_body.h"
