#pragma once
/// RAII for libcurl's C handles and its one-time global set-up, shared by every part that speaks HTTP as a client
/// (the HubSpot client, the emulator's webhook sender, Slack and outbound webhooks, enrichment providers).
#include <curl/curl.h>

#include <memory>
#include <string>

namespace revlens::curl {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
/// An easy handle, cleaned up when it goes out of scope.
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
/// A header list, freed when it goes out of scope.
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

/// libcurl's global state, set up once per process (thread-safe) and never torn down: several parts of the
/// binary use libcurl, and a cleanup at exit would race with them. Throws IOError when libcurl cannot start.
void GlobalInit();

/// A new easy handle (GlobalInit first). Throws IOError when libcurl cannot make one.
Easy NewEasy();

/// Append one header line to `list`; throws IOError rather than silently dropping it.
void Append(Slist& list, const std::string& line);

}  // namespace revlens::curl
