package task

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// tlsConfig builds TLS settings from the Java client's properties: a truststore and a
// keystore of type JKS, PKCS12 or PEM (ssl.truststore.*, ssl.keystore.*, ssl.key.password;
// PEM also as strings in ssl.truststore.certificates, ssl.keystore.certificate.chain and
// ssl.keystore.key), or librdkafka's PEM file names (ssl.ca.location,
// ssl.certificate.location, ssl.key.location). Without a truststore the system roots are
// used. ssl.endpoint.identification.algorithm="" skips the host-name check but still
// verifies the certificate chain, as the Java client does.
func tlsConfig(p map[string]string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	roots, err := trustStore(p)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = roots
	cert, err := keyStore(p)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	if v, ok := p["ssl.endpoint.identification.algorithm"]; ok && v == "" {
		// crypto/tls checks the chain and the name together; turn both off and check the
		// chain here, without a DNS name.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// storeType is ssl.<which>.type upper-cased, JKS (the Java default) when not given.
func storeType(p map[string]string, which string) string {
	if t := strings.ToUpper(p["ssl."+which+".type"]); t != "" {
		return t
	}
	return "JKS"
}

// trustStore returns the CA pool, or nil for the system roots.
func trustStore(p map[string]string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if ca := p["ssl.ca.location"]; ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("consumerProperties.ssl.ca.location: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("consumerProperties.ssl.ca.location: no PEM certificates in %s", ca)
		}
		return pool, nil
	}
	if s := p["ssl.truststore.certificates"]; s != "" {
		if !pool.AppendCertsFromPEM([]byte(s)) {
			return nil, fmt.Errorf("consumerProperties.ssl.truststore.certificates: no PEM certificates")
		}
		return pool, nil
	}
	loc := p["ssl.truststore.location"]
	if loc == "" {
		return nil, nil
	}
	b, err := os.ReadFile(loc)
	if err != nil {
		return nil, fmt.Errorf("consumerProperties.ssl.truststore.location: %w", err)
	}
	pass := p["ssl.truststore.password"]
	var certs []*x509.Certificate
	switch t := sniffStore(storeType(p, "truststore"), b); t {
	case "JKS":
		ks, err := loadJKS(b, pass, "truststore")
		if err != nil {
			return nil, err
		}
		for _, a := range ks.Aliases() {
			if !ks.IsTrustedCertificateEntry(a) {
				continue
			}
			e, _ := ks.GetTrustedCertificateEntry(a)
			c, err := x509.ParseCertificate(e.Certificate.Content)
			if err != nil {
				return nil, fmt.Errorf("consumerProperties.ssl.truststore.location: certificate %q in %s: %w", a, loc, err)
			}
			certs = append(certs, c)
		}
	case "PKCS12":
		if certs, err = pkcs12.DecodeTrustStore(b, pass); err != nil {
			return nil, pkcs12Err(err, "truststore", loc)
		}
	case "PEM":
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("consumerProperties.ssl.truststore.location: no PEM certificates in %s", loc)
		}
		return pool, nil
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("consumerProperties.ssl.truststore.location: no trusted certificates in %s", loc)
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// keyStore returns the client certificate, or nil when no keystore is configured.
func keyStore(p map[string]string) (*tls.Certificate, error) {
	if cert, key := p["ssl.certificate.location"], p["ssl.key.location"]; cert != "" || key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("consumerProperties.ssl.certificate.location/ssl.key.location: %w", err)
		}
		return &pair, nil
	}
	if key := p["ssl.keystore.key"]; key != "" {
		return pemKeyPair([]byte(p["ssl.keystore.certificate.chain"]), []byte(key), "ssl.keystore.key")
	}
	loc := p["ssl.keystore.location"]
	if loc == "" {
		return nil, nil
	}
	b, err := os.ReadFile(loc)
	if err != nil {
		return nil, fmt.Errorf("consumerProperties.ssl.keystore.location: %w", err)
	}
	pass := p["ssl.keystore.password"]
	keyPass, ok := p["ssl.key.password"]
	if !ok {
		keyPass = pass
	}
	switch sniffStore(storeType(p, "keystore"), b) {
	case "JKS":
		ks, err := loadJKS(b, pass, "keystore")
		if err != nil {
			return nil, err
		}
		for _, a := range ks.Aliases() {
			if !ks.IsPrivateKeyEntry(a) {
				continue
			}
			e, err := ks.GetPrivateKeyEntry(a, []byte(keyPass))
			if err != nil {
				return nil, fmt.Errorf("consumerProperties.ssl.key.password: cannot decrypt key %q in %s (wrong key password?)", a, loc)
			}
			key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
			if err != nil {
				return nil, fmt.Errorf("consumerProperties.ssl.keystore.location: key %q in %s: %w", a, loc, err)
			}
			var chain [][]byte
			for _, c := range e.CertificateChain {
				chain = append(chain, c.Content)
			}
			return certificate(chain, key, "ssl.keystore.location")
		}
		return nil, fmt.Errorf("consumerProperties.ssl.keystore.location: no private key entry in %s", loc)
	case "PKCS12":
		key, leaf, cas, err := pkcs12.DecodeChain(b, pass)
		if err != nil {
			return nil, pkcs12Err(err, "keystore", loc)
		}
		chain := [][]byte{leaf.Raw}
		for _, c := range cas {
			chain = append(chain, c.Raw)
		}
		return certificate(chain, key, "ssl.keystore.location")
	default: // PEM: one file with the key and its certificates
		return pemKeyPair(b, b, "ssl.keystore.location")
	}
}

// sniffStore corrects a JKS type for a PKCS#12 file: since Java 9 the JKS keystore type reads
// both formats (keystore.type.compat), and keytool writes PKCS#12 by default.
func sniffStore(t string, b []byte) string {
	if t == "JKS" && !bytes.HasPrefix(b, []byte{0xfe, 0xed, 0xfe, 0xed}) && len(b) > 0 && b[0] == 0x30 {
		return "PKCS12"
	}
	return t
}

func loadJKS(b []byte, pass, which string) (keystore.KeyStore, error) {
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(b), []byte(pass)); err != nil {
		if strings.Contains(err.Error(), "digest") {
			return ks, fmt.Errorf("consumerProperties.ssl.%s.password: wrong password for the JKS %s at ssl.%s.location (or the file is corrupt)", which, which, which)
		}
		return ks, fmt.Errorf("consumerProperties.ssl.%s.location: not a JKS %s: %w", which, which, err)
	}
	return ks, nil
}

func pkcs12Err(err error, which, loc string) error {
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return fmt.Errorf("consumerProperties.ssl.%s.password: wrong password for the PKCS12 %s %s", which, which, loc)
	}
	return fmt.Errorf("consumerProperties.ssl.%s.location: not a PKCS12 %s: %w", which, which, err)
}

// pemKeyPair reads an unencrypted PEM private key (from keyPEM) and its certificate chain
// (from certPEM); for a PEM keystore file both are the same bytes.
func pemKeyPair(certPEM, keyPEM []byte, prop string) (*tls.Certificate, error) {
	var chain [][]byte
	for _, blk := range pemBlocks(certPEM) {
		if blk.Type == "CERTIFICATE" {
			chain = append(chain, blk.Bytes)
		}
	}
	var keyDER []byte
	for _, blk := range pemBlocks(keyPEM) {
		switch {
		case blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] != "":
			return nil, fmt.Errorf("consumerProperties.ssl.key.password: encrypted PEM private keys are not supported; give the key unencrypted or use a PKCS12 keystore")
		case strings.HasSuffix(blk.Type, "PRIVATE KEY") && keyDER == nil:
			keyDER = blk.Bytes
		}
	}
	if keyDER == nil {
		return nil, fmt.Errorf("consumerProperties.%s: no PEM private key", prop)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("consumerProperties.%s: no PEM certificate", prop)
	}
	key, err := parsePrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("consumerProperties.%s: %w", prop, err)
	}
	return certificate(chain, key, prop)
}

func pemBlocks(b []byte) []*pem.Block {
	var out []*pem.Block
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return out
		}
		out = append(out, blk)
	}
}

func parsePrivateKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unreadable private key (expected PKCS#8, PKCS#1 or EC)")
}

// certificate checks that the key matches the leaf certificate.
func certificate(chain [][]byte, key crypto.PrivateKey, prop string) (*tls.Certificate, error) {
	if len(chain) == 0 {
		return nil, fmt.Errorf("consumerProperties.%s: the private key has no certificate", prop)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("consumerProperties.%s: %w", prop, err)
	}
	pub, ok := key.(interface{ Public() crypto.PublicKey })
	if !ok {
		return nil, fmt.Errorf("consumerProperties.%s: unsupported private key type %T", prop, key)
	}
	if eq, ok := pub.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(leaf.PublicKey) {
		return nil, fmt.Errorf("consumerProperties.%s: the private key does not match its certificate", prop)
	}
	return &tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}
