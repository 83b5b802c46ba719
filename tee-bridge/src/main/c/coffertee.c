/* libcoffertee: the JNI side of tee-bridge (see dev.coffer.tee.natives.Native). Being implemented. */
#include "dev_coffer_tee_natives_Native.h"
