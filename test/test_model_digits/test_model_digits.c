/* models/digits.onnx (torch QAT export) through lib/m0nn, against the reference. */
#include "m0nn.h" /* first: PlatformIO's dependency finder looks here, not inside digits.h */
#include "digits.h"
#include "digits_test.h"

#define M0NN_TEST_MODEL digits
#define M0NN_TEST_MODEL_UP DIGITS
#include "model_test_body.h"
