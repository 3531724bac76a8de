// For the http layer's tests only (server_test.cc, client_test.cc): a self-signed certificate and
// its key, made at test time with OpenSSL and written as PEM files in gtest's temporary directory.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace scim::http::test_support {

struct TestCertificate {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
  std::string pem_path;      // the certificate as PEM (a server's chain, a client's trusted CA)
  std::string key_pem_path;  // the private key as PEM
};

inline bool AddCertificateExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) return false;
  bool ok = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

// A P-256 certificate valid for "DNS:..." / "IP:..." names in `alt_names`, for one hour either
// side of now. Its files are named after the process and `file_name` (ctest runs each test in its
// own process, several at once). Throws when OpenSSL or the file system fails.
inline TestCertificate MakeCertificate(const char* alt_names, const std::string& file_name) {
  TestCertificate out;
  out.key.reset(EVP_EC_gen("P-256"));
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  if (!out.key || !cert) throw std::runtime_error("OpenSSL: key or certificate");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("scimd test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (!AddCertificateExtension(cert, NID_basic_constraints, "critical,CA:TRUE") ||
      !AddCertificateExtension(cert, NID_subject_alt_name, alt_names) ||
      X509_sign(cert, out.key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("OpenSSL: signing the certificate");
  }
  std::string base = testing::TempDir() + std::to_string(::getpid()) + "_" + file_name;
  out.pem_path = base;
  out.key_pem_path = base + ".key";
  auto write = [](const std::string& path, auto&& writer) {
    FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) throw std::runtime_error("cannot write " + path);
    bool written = writer(file);
    std::fclose(file);
    if (!written) throw std::runtime_error("cannot write " + path);
  };
  write(out.pem_path, [&](FILE* file) { return PEM_write_X509(file, cert) == 1; });
  write(out.key_pem_path, [&](FILE* file) {
    return PEM_write_PrivateKey(file, out.key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  return out;
}

}  // namespace scim::http::test_support
