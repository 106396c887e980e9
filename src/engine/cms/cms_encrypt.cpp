// Streamed (Auth)EnvelopedData: OpenSSL encrypts through its cipher BIO straight into a sink of
// ours, and the DER around the ciphertext is written by hand, so neither the ciphertext nor
// its DER is ever held whole (CMS_final would grow a memory BIO by copying, then i2d and the
// caller copy it again: four copies of a 25 MB message).
//
// The structure is encoded by OpenSSL without its encryptedContent (it is OPTIONAL), and the
// [0] IMPLICIT OCTET STRING is spliced in at the end of the EncryptedContentInfo with every
// enclosing length grown: the same DER that i2d_CMS_ContentInfo gives for the whole structure.
#include <openssl/rsa.h>

#include <exception>

#include "cms_operations.hpp"
#include "der.hpp"
#include "smime/common/error.hpp"

namespace smime::engine::cms {
namespace {

// Plaintext is handed to the cipher BIO in pieces of this size (also the release granularity).
constexpr std::size_t kPiece = std::size_t{1} << 20;

const EVP_CIPHER* cipher_for(ContentCipher cipher) {
  switch (cipher) {
    case ContentCipher::aes128_gcm:
      return EVP_aes_128_gcm();
    case ContentCipher::aes256_gcm:
      return EVP_aes_256_gcm();
    case ContentCipher::aes256_cbc:
      break;
  }
  return EVP_aes_256_cbc();
}

void configure_recipient(CMS_RecipientInfo* ri, X509* certificate, KeyTransport transport) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (key == nullptr || pctx == nullptr) throw_openssl(ErrorCode::crypto, "Cannot add a recipient");
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (transport == KeyTransport::rsa_pkcs1) {
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
        throw_openssl(ErrorCode::crypto, "Cannot set RSA v1.5 key transport");
      }
      return;
    }
    const EVP_MD* md = transport == KeyTransport::rsa_oaep_sha256 ? EVP_sha256() : EVP_sha1();
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0) {
      throw_openssl(ErrorCode::crypto, "Cannot set RSA-OAEP key transport");
    }
  } else if (EVP_PKEY_is_a(key, "EC")) {
    // RFC 5753 / RFC 8551: the KDF hash follows the curve (OpenSSL's default is SHA-1).
    const EVP_MD* md = EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() : EVP_sha256();
    if (EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, md) <= 0) {
      throw_openssl(ErrorCode::crypto, "Cannot set the ECDH key derivation");
    }
  } else {
    throw Error(ErrorCode::unsupported, "Recipient keys must be RSA or EC");
  }
}

// ---- the sink BIO: every ciphertext byte to DerOutput::write, counted ----

struct Sink {
  const DerOutput* out = nullptr;
  std::size_t written = 0;
  std::exception_ptr failure;  // an exception of write(), rethrown after OpenSSL returns
};

int sink_write(BIO* bio, const char* data, int length) {
  auto* sink = static_cast<Sink*>(BIO_get_data(bio));
  if (sink == nullptr || length < 0 || sink->failure) return -1;
  try {
    sink->out->write(
        {reinterpret_cast<const unsigned char*>(data), static_cast<std::size_t>(length)});
  } catch (...) {
    sink->failure = std::current_exception();
    return -1;
  }
  sink->written += static_cast<std::size_t>(length);
  return length;
}

long sink_ctrl(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int sink_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

struct BioMethodFree {
  void operator()(BIO_METHOD* method) const noexcept { BIO_meth_free(method); }
};

const BIO_METHOD* sink_method() {
  static const std::unique_ptr<BIO_METHOD, BioMethodFree> method([] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "smime cms sink");
    if (m != nullptr &&
        (BIO_meth_set_write(m, sink_write) != 1 || BIO_meth_set_ctrl(m, sink_ctrl) != 1 ||
         BIO_meth_set_create(m, sink_create) != 1)) {
      BIO_meth_free(m);
      m = nullptr;
    }
    return m;
  }());
  if (!method) throw_openssl(ErrorCode::internal, "Cannot create the CMS output BIO");
  return method.get();
}

// ---- the DER around the ciphertext ----

struct Splice {
  std::vector<unsigned char> prefix;  // up to and with the header of the encrypted content
  std::vector<unsigned char> suffix;  // after it (AuthEnvelopedData: the MAC)
};

void append(std::vector<unsigned char>& out, der::Bytes bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

[[noreturn]] void malformed_skeleton() {
  throw Error(ErrorCode::internal, "Unexpected encoding of the encrypted message");
}

// The element of `content` the path continues in: ContentInfo -> [0] content (its second
// element) -> (Auth)EnvelopedData (the first) -> EncryptedContentInfo (after recipientInfos).
std::size_t child_on_path(const std::vector<der::Element>& children, int depth) {
  if (depth == 0) return 1;
  if (depth == 1) return 0;
  for (std::size_t i = 0; i + 1 < children.size(); ++i) {
    if (children[i].tag_class == der::kUniversal && children[i].tag == der::kSet) return i + 1;
  }
  malformed_skeleton();
}

// `element` with `content_length` bytes of [0] IMPLICIT content added at the end of its
// EncryptedContentInfo (depth 3). Every level above it also grows by `growth` (the MAC that
// the final structure will have where the skeleton has an empty one).
Splice splice(const der::Element& element, int depth, std::size_t content_length,
              std::size_t growth) {
  if (element.whole.empty() || !element.constructed) malformed_skeleton();
  Splice s;
  if (depth == 3) {
    std::vector<unsigned char> inserted = der::header(0x80, content_length);
    s.prefix =
        der::header(element.whole[0], element.content.size() + inserted.size() + content_length);
    append(s.prefix, element.content);
    append(s.prefix, inserted);
    return s;
  }
  std::vector<der::Element> children;
  for (der::Reader r(element.content); !r.empty();) children.push_back(r.next());
  const std::size_t index = child_on_path(children, depth);
  if (index >= children.size()) malformed_skeleton();
  const der::Element& child = children[index];
  const Splice inner = splice(child, depth + 1, content_length, growth);
  const auto before = static_cast<std::size_t>(child.whole.data() - element.content.data());
  const der::Bytes after = element.content.subspan(before + child.whole.size());
  const std::size_t length =
      before + inner.prefix.size() + content_length + inner.suffix.size() + after.size() + growth;
  s.prefix = der::header(element.whole[0], length);
  append(s.prefix, element.content.first(before));
  append(s.prefix, inner.prefix);
  s.suffix = inner.suffix;
  append(s.suffix, after);
  return s;
}

Splice splice_skeleton(CMS_ContentInfo* cms, std::size_t content_length, std::size_t growth) {
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &raw);
  if (n <= 0) throw_openssl(ErrorCode::crypto, "Cannot encode the encrypted message");
  OpensslBytesPtr owner(raw);
  der::Reader top({raw, static_cast<std::size_t>(n)});
  const der::Element content_info = top.next();
  if (!top.empty()) malformed_skeleton();
  return splice(content_info, 0, content_length, growth);
}

CmsPtr new_envelope(const std::vector<X509*>& recipients, ContentCipher cipher,
                    const std::vector<KeyTransport>& transports) {
  if (recipients.empty()) throw Error(ErrorCode::no_certificate, "There was no recipient found");
  if (transports.size() != recipients.size()) {
    throw Error(ErrorCode::internal, "One key transport per recipient is needed");
  }
  // An AEAD cipher makes OpenSSL build AuthEnvelopedData (RFC 5083).
  CmsPtr cms(CMS_encrypt(nullptr, nullptr, cipher_for(cipher), CMS_BINARY | CMS_PARTIAL));
  if (!cms) throw_openssl(ErrorCode::crypto, "Cannot create the encrypted message");
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms.get(), recipients[i], CMS_KEY_PARAM);
    if (ri == nullptr) throw_openssl(ErrorCode::crypto, "Cannot add a recipient");
    configure_recipient(ri, recipients[i], transports[i]);
  }
  // The ciphertext goes to our sink, not into the structure.
  if (CMS_set_detached(cms.get(), 1) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot create the encrypted message");
  }
  return cms;
}

void feed(BIO* chain, Sink& sink, std::span<const std::string_view> parts, const DerOutput& out) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    for (std::size_t pos = 0; pos < part.size();) {
      const std::size_t n = std::min(kPiece, part.size() - pos);
      if (BIO_write(chain, part.data() + pos, static_cast<int>(n)) != static_cast<int>(n)) {
        if (sink.failure) std::rethrow_exception(sink.failure);
        throw_openssl(ErrorCode::crypto, "Cannot encrypt the message");
      }
      pos += n;
      if (out.consumed) out.consumed(i, pos);
    }
  }
  if (BIO_flush(chain) != 1) {
    if (sink.failure) std::rethrow_exception(sink.failure);
    throw_openssl(ErrorCode::crypto, "Cannot encrypt the message");
  }
}

}  // namespace

void encrypt_to(std::span<const std::string_view> parts, const std::vector<X509*>& recipients,
                ContentCipher cipher, const std::vector<KeyTransport>& transports,
                const DerOutput& out) {
  CmsPtr cms = new_envelope(recipients, cipher, transports);
  std::size_t plain = 0;
  for (std::string_view part : parts) plain += part.size();

  Sink sink;
  sink.out = &out;
  BioPtr sink_bio(BIO_new(sink_method()));
  if (!sink_bio) throw_openssl(ErrorCode::crypto, "Cannot create the CMS output BIO");
  BIO_set_data(sink_bio.get(), &sink);
  // Content key, IV and every RecipientInfo are made here.
  BioPtr chain(CMS_dataInit(cms.get(), sink_bio.get()));
  if (!chain) throw_openssl(ErrorCode::crypto, "Cannot encrypt the message");
  sink_bio.release();  // now the last BIO of the chain

  EVP_CIPHER_CTX* ctx = nullptr;
  BIO_get_cipher_ctx(chain.get(), &ctx);
  if (ctx == nullptr) throw Error(ErrorCode::internal, "The CMS chain has no cipher");
  const auto block = static_cast<std::size_t>(EVP_CIPHER_CTX_get_block_size(ctx));
  // CBC pads to whole blocks (always at least one byte); GCM is a stream cipher.
  const std::size_t encrypted = block > 1 ? (plain / block + 1) * block : plain;
  const bool aead =
      (EVP_CIPHER_get_flags(EVP_CIPHER_CTX_get0_cipher(ctx)) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0;
  const std::size_t tag = aead ? static_cast<std::size_t>(EVP_CIPHER_CTX_get_tag_length(ctx)) : 0;

  // The skeleton has an empty MAC now; the final one has `tag` bytes more.
  const Splice before = splice_skeleton(cms.get(), encrypted, tag);
  out.begin(before.prefix.size() + encrypted + before.suffix.size() + tag);
  out.write(before.prefix);
  feed(chain.get(), sink, parts, out);
  if (CMS_dataFinal(cms.get(), chain.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot encrypt the message");
  }
  const Splice after = splice_skeleton(cms.get(), encrypted, 0);
  if (sink.written != encrypted || after.prefix != before.prefix ||
      after.suffix.size() != before.suffix.size() + tag) {
    throw Error(ErrorCode::internal, "The encrypted message does not have its predicted size");
  }
  out.write(after.suffix);
}

std::vector<unsigned char> encrypt(std::string_view content, const std::vector<X509*>& recipients,
                                   ContentCipher cipher,
                                   const std::vector<KeyTransport>& transports) {
  std::vector<unsigned char> der;
  DerOutput out;
  out.begin = [&der](std::size_t size) { der.reserve(size); };
  out.write = [&der](std::span<const unsigned char> bytes) {
    der.insert(der.end(), bytes.begin(), bytes.end());
  };
  const std::string_view parts[] = {content};
  encrypt_to(parts, recipients, cipher, transports, out);
  return der;
}

}  // namespace smime::engine::cms
