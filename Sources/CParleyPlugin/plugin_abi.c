/* The ABI is header-only; this file exists so SwiftPM builds the target as a C module. */
#include "parley_plugin.h"
