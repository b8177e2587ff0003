#include "parley_sys.h"
#include "parley_plugin.h"
#include <ffi.h>
#include <string.h>

enum {
    T_VOID = PARLEY_TYPE_VOID, T_INT32 = PARLEY_TYPE_INT32, T_INT64 = PARLEY_TYPE_INT64,
    T_DOUBLE = PARLEY_TYPE_DOUBLE, T_STRING = PARLEY_TYPE_STRING
};

static ffi_type *ffi_type_for(uint32_t type) {
    switch (type) {
    case T_VOID: return &ffi_type_void;
    case T_INT32: return &ffi_type_sint32;
    case T_INT64: return &ffi_type_sint64;
    case T_DOUBLE: return &ffi_type_double;
    case T_STRING: return &ffi_type_pointer;
    default: return NULL;
    }
}

int parley_ffi_invoke(void (*fn)(void), uint32_t return_type, uint32_t arg_count,
                      const uint32_t *arg_types, void **args, void *result) {
    if (arg_count > 16) return -1;
    ffi_type *types[16];
    for (uint32_t i = 0; i < arg_count; i++) {
        types[i] = ffi_type_for(arg_types[i]);
        if (types[i] == NULL || arg_types[i] == T_VOID) return -1;
    }
    ffi_type *rtype = ffi_type_for(return_type);
    if (rtype == NULL) return -1;
    ffi_cif cif;
    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, arg_count, rtype, types) != FFI_OK) return -1;
    /* libffi widens small integer returns to ffi_arg. */
    union { ffi_arg word; int64_t i64; double f64; void *ptr; } value;
    memset(&value, 0, sizeof value);
    ffi_call(&cif, fn, &value, args);
    switch (return_type) {
    case T_INT32: { int32_t v = (int32_t)value.word; memcpy(result, &v, sizeof v); break; }
    case T_INT64: memcpy(result, &value.i64, sizeof value.i64); break;
    case T_DOUBLE: memcpy(result, &value.f64, sizeof value.f64); break;
    case T_STRING: memcpy(result, &value.ptr, sizeof value.ptr); break;
    default: break;
    }
    return 0;
}
