// pidfd_open / pidfd_send_signal for the enforcement fallback (see pidfd.cc).
#pragma once

#include <napi.h>

namespace vigil {

Napi::Value PidfdOpen(const Napi::CallbackInfo &info);
Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info);

} // namespace vigil
