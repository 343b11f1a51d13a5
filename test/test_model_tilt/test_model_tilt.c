/* models/tilt.onnx (onnxruntime's quantizer) through lib/m0nn, against the reference. */
#include "m0nn.h" /* first: PlatformIO's dependency finder looks here, not inside tilt.h */
#include "tilt.h"
#include "tilt_test.h"

#define M0NN_TEST_MODEL tilt
#define M0NN_TEST_MODEL_UP TILT
#include "model_test_body.h"
