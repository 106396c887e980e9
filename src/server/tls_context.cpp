#include <openssl/ssl.h>

#include "server_state.hpp"
#include "smime/common/error.hpp"

namespace smime::server {

boost::asio::ssl::context make_tls_context(const TlsIdentity& identity) {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_server);
  SSL_CTX* native = context.native_handle();
  // TLS 1.0 and 1.1 are refused at the handshake.
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot require TLS 1.2");
  }
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                      ssl::context::single_dh_use | SSL_OP_NO_RENEGOTIATION |
                      SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2: forward secrecy and AEAD only (TLS 1.3 suites are all of that kind).
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL") != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot set the TLS cipher list");
  }
  if (!identity.certificate || !identity.key ||
      SSL_CTX_use_certificate(native, identity.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(native, identity.key.get()) != 1 ||
      SSL_CTX_check_private_key(native) != 1) {
    throw_openssl(ErrorCode::crypto, "The TLS certificate and key cannot be used together");
  }
  return context;
}

}  // namespace smime::server
