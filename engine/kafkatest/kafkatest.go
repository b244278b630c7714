// Package kafkatest provides secured Kafka brokers for tests: TLS material in the Java
// keystore formats (made by the JDK's keytool), an OAuth 2 client-credentials token endpoint on
// loopback, and kfake control hooks that take the broker's side of SASL mechanisms kfake does
// not implement itself (OAUTHBEARER, AWS_MSK_IAM), so tests see exactly what the client sent.
package kafkatest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Keytool returns the path of the JDK's keytool; without one the test fails when CI=true
// and is skipped otherwise.
func Keytool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("keytool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("keytool (JDK) is required when CI=true: %v", err)
		}
		t.Skipf("keytool not found: %v", err)
	}
	return p
}

// Passwords of the stores a TLS fixture writes. The JKS keystore protects its key with a
// password of its own, as ssl.key.password allows.
const (
	StorePassword  = "store-secret-1"
	KeyPassword    = "key-secret-2"
	ClientKeytool  = "kafka-client-keytool"
	ClientGoPEM    = "kafka-client-pem"
	keytoolTimeout = 60 * time.Second
)

// TLS is a certificate authority with stores for a Kafka client, all in one temporary
// directory.
type TLS struct {
	CA    *x509.Certificate
	caKey *ecdsa.PrivateKey

	// CAFile is the CA certificate in PEM.
	CAFile string
	// TrustJKS and TrustPKCS12 are truststores holding the CA, made with keytool.
	TrustJKS, TrustPKCS12 string
	// KeyJKS (key password KeyPassword) and KeyPKCS12 are keystores with a key pair keytool
	// generated, self-signed, common name ClientKeytool.
	KeyJKS, KeyPKCS12 string
	// ClientCertPEM and ClientKeyPEM are a client certificate signed by the CA (common name
	// ClientGoPEM) and its unencrypted key; ClientPEM holds both, as a PEM keystore file.
	ClientCertPEM, ClientKeyPEM, ClientPEM string
}

// NewPEM makes the CA, its PEM file and the PEM client files, without keytool.
func NewPEM(t testing.TB) *TLS {
	t.Helper()
	dir := t.TempDir()
	f := &TLS{
		CAFile: filepath.Join(dir, "ca.pem"), TrustJKS: filepath.Join(dir, "truststore.jks"),
		TrustPKCS12: filepath.Join(dir, "truststore.p12"), KeyJKS: filepath.Join(dir, "keystore.jks"),
		KeyPKCS12: filepath.Join(dir, "keystore.p12"), ClientPEM: filepath.Join(dir, "client.pem"),
	}
	f.CA, f.caKey = newCA(t, "kafkatest CA")
	writePEM(t, f.CAFile, "CERTIFICATE", f.CA.Raw)

	cert, key := f.Issue(t, ClientGoPEM, nil)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f.ClientCertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	f.ClientKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	if err := os.WriteFile(f.ClientPEM, []byte(f.ClientKeyPEM+f.ClientCertPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// NewTLS is NewPEM plus the Java stores, made by keytool (four runs of about a second each,
// three of them in parallel).
func NewTLS(t testing.TB) *TLS {
	t.Helper()
	keytool := Keytool(t)
	f := NewPEM(t)
	run := func(args ...string) error {
		ctx, cancel := context.WithTimeout(t.Context(), keytoolTimeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, keytool, args...).CombinedOutput()
		if err != nil {
			return errors.New("keytool " + args[0] + ": " + err.Error() + ": " + string(out))
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, args := range [][]string{
		{"-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + ClientKeytool,
			"-validity", "2", "-keystore", f.KeyJKS, "-storetype", "JKS", "-storepass", StorePassword, "-keypass", KeyPassword},
		{"-importcert", "-noprompt", "-alias", "ca", "-file", f.CAFile, "-keystore", f.TrustJKS, "-storetype", "JKS", "-storepass", StorePassword},
		{"-importcert", "-noprompt", "-alias", "ca", "-file", f.CAFile, "-keystore", f.TrustPKCS12, "-storetype", "PKCS12", "-storepass", StorePassword},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(args...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if err := run("-importkeystore", "-noprompt", "-srckeystore", f.KeyJKS, "-srcstoretype", "JKS", "-srcstorepass", StorePassword,
		"-srcalias", "client", "-srckeypass", KeyPassword, "-destkeystore", f.KeyPKCS12, "-deststoretype", "PKCS12",
		"-deststorepass", StorePassword, "-destkeypass", StorePassword); err != nil {
		t.Fatal(err)
	}
	return f
}

// Issue returns a certificate signed by the CA for the given common name, valid for the host
// names and IP addresses in hosts.
func (f *TLS) Issue(t testing.TB, cn string, hosts []string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.CA, &key.PublicKey, f.caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// ClientSeen records the common name of the client certificate each TLS handshake presented.
type ClientSeen struct {
	mu  sync.Mutex
	cns []string
}

// Names returns the common names seen so far.
func (s *ClientSeen) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cns...)
}

// ServerConfig is a broker's TLS configuration with a certificate for hosts. It requires a
// client certificate, either signed by the CA or self-signed (the keytool keystores), and
// records its common name.
func (f *TLS) ServerConfig(t testing.TB, hosts ...string) (*tls.Config, *ClientSeen) {
	t.Helper()
	cert, key := f.Issue(t, "kafkatest broker", hosts)
	seen := &ClientSeen{}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw, f.CA.Raw}, PrivateKey: key, Leaf: cert}},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			leaf, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			// keytool's self-signed certificates are not marked as CAs, so their own
			// signature is checked directly.
			if leaf.CheckSignatureFrom(f.CA) != nil && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) != nil {
				return errors.New("client certificate is neither signed by the CA nor self-signed")
			}
			seen.mu.Lock()
			seen.cns = append(seen.cns, leaf.Subject.CommonName)
			seen.mu.Unlock()
			return nil
		},
	}, seen
}

func newCA(t testing.TB, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// OtherCAFile writes the PEM certificate of an unrelated CA, for tests that must fail the
// chain check.
func OtherCAFile(t testing.TB) string {
	ca, _ := newCA(t, "unrelated CA")
	p := filepath.Join(t.TempDir(), "other-ca.pem")
	writePEM(t, p, "CERTIFICATE", ca.Raw)
	return p
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// AcceptSASL makes the cluster take the broker's side of mech, which kfake does not implement:
// SASLHandshake accepts mech, and every SASLAuthenticate is passed to check, whose returned
// bytes are the server's final message; a check error fails the authentication with that
// message. Other requests are served as usual (the cluster must not use EnableSASL).
func AcceptSASL(c *kfake.Cluster, mech string, check func(auth []byte) ([]byte, error)) {
	c.ControlKey(int16(kmsg.SASLHandshake), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.SASLHandshakeRequest)
		resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{mech}
		if req.Mechanism != mech {
			resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.SASLAuthenticateRequest)
		resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		out, err := check(req.SASLAuthBytes)
		if err != nil {
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			msg := err.Error()
			resp.ErrorMessage = &msg
			return resp, nil, true
		}
		resp.SASLAuthBytes = out
		return resp, nil, true
	})
}
