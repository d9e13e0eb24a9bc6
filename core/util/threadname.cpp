#include "threadname.h"

#include <pthread.h>

#include <cstring>

namespace kd::core::util {

void setCurrentThreadName(const char *name)
{
    char shortName[16] = {};
    std::strncpy(shortName, name, sizeof shortName - 1);
    pthread_setname_np(pthread_self(), shortName);
}

} // namespace kd::core::util
