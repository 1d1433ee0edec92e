#include "core/curl.hpp"

#include <mutex>

#include "core/errors.hpp"

namespace revlens::curl {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw IOError("cannot initialise libcurl");
  });
}

Easy NewEasy() {
  GlobalInit();
  Easy h(curl_easy_init());
  if (!h) throw IOError("cannot create a libcurl handle");
  return h;
}

void Append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) throw IOError("out of memory building HTTP headers");
  (void)list.release();  // curl_slist_append returned the same list, now one longer
  list.reset(next);
}

}  // namespace revlens::curl
