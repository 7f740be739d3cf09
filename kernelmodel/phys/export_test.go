package phys

// IntSqrt exposes intSqrt (lib/math/int_sqrt.c) to the external tests.
var IntSqrt = intSqrt
