// Fuzz target: what `message incoming` parses before any key is used — the RFC 5322 split,
// the S/MIME classification (RFC 1847 framing, transfer encodings) and the DER walk of
// (Auth)EnvelopedData.
#include <openssl/cms.h>
#include <openssl/objects.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cms/cms_operations.hpp"
#include "cms/envelope.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  try {
    const auto split = smime::engine::mime::split_incoming(message);
    const auto entity = smime::engine::mime::classify(split.content_entity);
    if (!entity.cms_der.empty()) {
      smime::CmsPtr cms = smime::engine::cms::parse(entity.cms_der);
      const int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
      if (type == NID_pkcs7_enveloped || type == NID_id_smime_ct_authEnvelopedData) {
        const auto envelope = smime::engine::cms::read_envelope(cms.get());
        (void)smime::engine::cms::content_key_length(envelope);
      }
    }
  } catch (const smime::Error&) {
  }
  smime::drain_openssl_errors();
  return 0;
}
