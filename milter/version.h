/* The version, printed by -V and announced in logs. */
#ifndef FCR_VERSION_H
#define FCR_VERSION_H
#define FCR_VERSION "0.1.0"
#endif
