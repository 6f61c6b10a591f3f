// Command pipeline_driver is bench/pipeline.py's load generator: it sends deposits and
// withdrawals to the write API at a fixed rate and, for each, times from the write response
// until a GET with min_version=<the returned version> on the query API answers.
//
// It reads one JSON document (Spec) on stdin and writes one (Result) on stdout. Pacing is open
// loop: command i is due at start + i/rate whatever happened to the commands before it; at most
// Spec.Concurrency commands are in flight, and a command due while all of them are busy starts
// as soon as one ends (late, as a thread pool's queued task would). Only the standard library,
// so that building it needs nothing but Go.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"
)

// Spec is the input: where the APIs are, the load, and the accounts to spread it over.
type Spec struct {
	WriteURL     string    `json:"write_url"`
	ReadURL      string    `json:"read_url"`
	Rate         float64   `json:"rate"`    // commands per second
	Seconds      float64   `json:"seconds"` // rate * seconds commands in all
	Concurrency  int       `json:"concurrency"`
	DepositShare float64   `json:"deposit_share"` // the rest are withdrawals
	MaxAmount    int64     `json:"max_amount"`    // amounts are uniform in 1..MaxAmount
	TimeoutS     float64   `json:"timeout_s"`     // per request
	Accounts     []Account `json:"accounts"`
}

// Account is one account the commands go to, with its owner's Authorization header value.
type Account struct {
	ID            string `json:"id"`
	Authorization string `json:"authorization"`
}

// Result is the output. Latencies are those of the commands that became visible; the others
// each left one error ("write 409", "read 504", "write transport: ...").
type Result struct {
	LatenciesMs []float64 `json:"latencies_ms"`
	Errors      []string  `json:"errors"`
	ElapsedS    float64   `json:"elapsed_s"`
	CPUS        float64   `json:"cpu_s"` // user + system CPU time of this process
}

func main() {
	var spec Spec
	if err := json.NewDecoder(os.Stdin).Decode(&spec); err != nil {
		fail("reading the spec on stdin: %v", err)
	}
	if err := spec.check(); err != nil {
		fail("%v", err)
	}
	result := drive(spec)
	// The driver's own CPU time, read here because the bench cannot read it once we have
	// exited (psutil refuses a finished process) and the bench's RUSAGE_CHILDREN would also
	// count any supervised server or process that ended and was reaped meanwhile.
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fail("getrusage: %v", err)
	}
	result.CPUS = seconds(usage.Utime) + seconds(usage.Stime)
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		fail("writing the result: %v", err)
	}
}

func (s Spec) check() error {
	switch {
	case s.WriteURL == "" || s.ReadURL == "":
		return errors.New("write_url and read_url are required")
	case s.Rate <= 0 || s.Seconds < 0:
		return errors.New("rate must be positive and seconds not negative")
	case s.Concurrency <= 0:
		return errors.New("concurrency must be positive")
	case s.MaxAmount < 1:
		return errors.New("max_amount must be at least 1")
	case s.TimeoutS <= 0:
		return errors.New("timeout_s must be positive")
	case len(s.Accounts) == 0:
		return errors.New("no accounts")
	}
	return nil
}

func drive(spec Spec) Result {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // the APIs are local
	// Keep-alive: as many idle connections to each API as commands in flight (the default, 2,
	// would close and reopen connections all the time).
	transport.MaxIdleConnsPerHost = spec.Concurrency
	client := &http.Client{
		Timeout:   time.Duration(spec.TimeoutS * float64(time.Second)),
		Transport: transport,
	}
	total := int(spec.Rate * spec.Seconds)
	result := Result{LatenciesMs: make([]float64, 0, total), Errors: []string{}}
	var mu sync.Mutex
	var inFlight sync.WaitGroup
	slots := make(chan struct{}, spec.Concurrency)

	start := time.Now()
	for i := range total {
		due := start.Add(time.Duration(float64(i) / spec.Rate * float64(time.Second)))
		time.Sleep(time.Until(due)) // returns at once when already due
		slots <- struct{}{}
		inFlight.Add(1)
		go func() {
			defer inFlight.Done()
			latency, err := oneCommand(client, spec)
			<-slots
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				result.Errors = append(result.Errors, err.Error())
			} else {
				result.LatenciesMs = append(result.LatenciesMs, latency)
			}
		}()
	}
	inFlight.Wait()
	result.ElapsedS = time.Since(start).Seconds()
	return result
}

// oneCommand sends one deposit or withdrawal and returns the milliseconds from its response
// until the query API showed the version it returned.
func oneCommand(client *http.Client, spec Spec) (float64, error) {
	account := spec.Accounts[rand.IntN(len(spec.Accounts))]
	kind := "withdrawals"
	if rand.Float64() < spec.DepositShare {
		kind = "deposits"
	}
	body, _ := json.Marshal(map[string]any{
		"amount":    rand.Int64N(spec.MaxAmount) + 1,
		"reference": "bench",
	})
	target := fmt.Sprintf("%s/v1/accounts/%s/%s", spec.WriteURL, account.ID, kind)
	status, answer, err := send(client, http.MethodPost, target, account, body)
	written := time.Now()
	if err != nil {
		return 0, fmt.Errorf("write transport: %w", err)
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("write %d", status)
	}
	var appended struct {
		Version *int64 `json:"version"`
	}
	if err := json.Unmarshal(answer, &appended); err != nil || appended.Version == nil {
		return 0, errors.New("write answer without a version")
	}

	target = fmt.Sprintf(
		"%s/v1/accounts/%s?min_version=%d", spec.ReadURL, account.ID, *appended.Version)
	status, _, err = send(client, http.MethodGet, target, account, nil)
	visible := time.Now()
	if err != nil {
		return 0, fmt.Errorf("read transport: %w", err)
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("read %d", status)
	}
	return float64(visible.Sub(written).Microseconds()) / 1000, nil
}

// send makes one request and reads the whole answer (so that the connection goes back to the
// pool for the next request). Transport errors come without the URL, which names the account:
// the bench reports each distinct error once.
func send(
	client *http.Client, method, target string, account Account, body []byte,
) (int, []byte, error) {
	var content io.Reader
	if body != nil {
		content = bytes.NewReader(body)
	}
	request, err := http.NewRequest(method, target, content)
	if err != nil {
		return 0, nil, err
	}
	request.Header.Set("Authorization", account.Authorization)
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := client.Do(request)
	if err != nil {
		var urlError *url.Error
		if errors.As(err, &urlError) {
			err = urlError.Err
		}
		return 0, nil, err
	}
	defer response.Body.Close()
	answer, err := io.ReadAll(response.Body)
	if err != nil {
		return 0, nil, err
	}
	return response.StatusCode, answer, nil
}

func seconds(t syscall.Timeval) float64 {
	return float64(t.Sec) + float64(t.Usec)/1e6
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pipeline_driver: "+format+"\n", args...)
	os.Exit(2)
}
