# Atoll's Ruby runtime bootstrap: a Lambda Runtime API client loop (standard library only).
# It loads `file.method` or `file.Module::Class.method` from the task root (layers' ruby/lib and
# gems on the load path), calls the handler with `event:` and `context:`, and posts the JSON result
# or an error document in the shape of AWS's Ruby runtime (errorMessage, errorType
# `Function<Class>` / `Init<Class>`, stackTrace). It speaks HTTP/1.1 over one kept-alive socket.
require 'json'
require 'socket'

$stdout.sync = true
$stderr.sync = true

module AtollLambda
  TASK_ROOT = ENV['LAMBDA_TASK_ROOT'] || Dir.pwd
  HOST, PORT = (ENV['AWS_LAMBDA_RUNTIME_API'] || '127.0.0.1:9001').split(':', 2)

  class Context
    attr_reader :aws_request_id, :invoked_function_arn, :log_group_name, :log_stream_name,
                :function_name, :memory_limit_in_mb, :function_version, :identity,
                :client_context, :deadline_ms, :tenant_id

    def initialize(request_id, deadline_ms, arn, identity, client_context)
      @aws_request_id = request_id
      @deadline_ms = deadline_ms
      @invoked_function_arn = arn
      @identity = identity
      @client_context = client_context
      @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
      @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
      @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
      @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
      @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
      @tenant_id = nil
    end

    def get_remaining_time_in_millis
      [@deadline_ms - (Time.now.to_f * 1000).to_i, 0].max
    end
  end

  # A failure whose type and message are fixed (no user stack trace).
  class Fault < StandardError
    attr_reader :error_type

    def initialize(error_type, message)
      super(message)
      @error_type = error_type
    end
  end

  @socket = nil

  def self.call(method, path, body = nil, headers = {})
    head = +"#{method} /2018-06-01/runtime#{path} HTTP/1.1\r\nHost: #{HOST}\r\n"
    unless body.nil?
      body = body.b
      head << "Content-Type: application/json\r\nContent-Length: #{body.bytesize}\r\n"
    end
    headers.each { |k, v| head << "#{k}: #{v}\r\n" }
    head << "\r\n"
    attempt = 0
    begin
      @socket ||= TCPSocket.new(HOST, PORT.to_i).tap { |s| s.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1) }
      @socket.write(body.nil? ? head : head.b + body)
      status_line = @socket.gets
      raise IOError, 'Runtime API closed the connection' if status_line.nil?
    rescue IOError, SystemCallError
      close
      attempt += 1
      retry if attempt < 2
      raise
    end
    status = status_line.split(' ', 3)[1].to_i
    response_headers = {}
    while (line = @socket.gets) && line != "\r\n" && line != "\n"
      name, value = line.split(':', 2)
      response_headers[name.strip.downcase] = value.to_s.strip
    end
    content = +''
    if response_headers['transfer-encoding'].to_s.downcase == 'chunked'
      loop do
        size = @socket.gets.to_s.split(';').first.to_i(16)
        if size.zero?
          @socket.gets
          break
        end
        content << @socket.read(size)
        @socket.gets
      end
    else
      length = response_headers['content-length'].to_i
      content = length.positive? ? @socket.read(length) : +''
    end
    close if response_headers['connection'].to_s.downcase == 'close'
    [status, response_headers, content.force_encoding('UTF-8')]
  end

  def self.close
    @socket&.close
  rescue IOError, SystemCallError
    nil
  ensure
    @socket = nil
  end

  def self.record(text)
    $stdout.write(text.to_s.chomp.gsub("\n", "\r") + "\n")
  end

  def self.error_document(error, phase)
    type = error.is_a?(Fault) ? error.error_type : "#{phase}<#{error.class}>"
    trace = error.is_a?(Fault) ? [] : (error.backtrace || []).reject { |l| l.start_with?(__FILE__) }
    { 'errorMessage' => error.message, 'errorType' => type, 'stackTrace' => trace }
  end

  def self.log_error(doc)
    lines = ["#{doc['errorType']}: #{doc['errorMessage']}"] + doc['stackTrace']
    record(lines.join("\n"))
  end

  def self.post_error(path, doc)
    call('POST', path, JSON.generate(doc), 'Lambda-Runtime-Function-Error-Type' => doc['errorType'])
  end

  def self.load_handler(spec)
    file, _, rest = spec.partition('.')
    raise Fault.new('Init<ArgumentError>', "Invalid handler #{spec}, must be of form FILENAME.METHOD or FILENAME.CLASS.METHOD where CLASS can be Module::Class") if file.empty? || rest.empty?
    path = File.join(TASK_ROOT, file)
    begin
      require path
    rescue LoadError => e
      raise Fault.new('Init<LoadError>', e.message) if e.path.nil? || File.expand_path(e.path.to_s) == File.expand_path(path)
      raise
    end
    parts = rest.split('.')
    method = parts.pop
    receiver = parts.empty? ? nil : parts.join('.').split('::').inject(Object) { |m, name| m.const_get(name) }
    [receiver, method]
  end

  def self.invoke_once(receiver, method)
    status, headers, body = call('GET', '/invocation/next')
    raise IOError, "Runtime API /next answered #{status}" unless status == 200
    request_id = headers['lambda-runtime-aws-request-id'].to_s
    trace_id = headers['lambda-runtime-trace-id']
    if trace_id.nil? || trace_id.empty?
      ENV.delete('_X_AMZN_TRACE_ID')
    else
      ENV['_X_AMZN_TRACE_ID'] = trace_id
    end
    deadline = (headers['lambda-runtime-deadline-ms'] || ((Time.now.to_f * 1000).to_i + 3000)).to_i
    context = Context.new(request_id, deadline, headers['lambda-runtime-invoked-function-arn'].to_s,
                          parse_header(headers['lambda-runtime-cognito-identity']),
                          headers['lambda-runtime-client-context'])
    begin
      event = body.empty? ? nil : JSON.parse(body)
      result = if receiver.nil?
                 Object.new.__send__(method, event: event, context: context)
               else
                 receiver.__send__(method, event: event, context: context)
               end
      begin
        payload = JSON.generate(result, quirks_mode: true)
      rescue StandardError => e
        raise Fault.new('Runtime.MarshalError', "Unable to marshal response: #{e.message}")
      end
    rescue StandardError, ScriptError => e
      doc = error_document(e, 'Function')
      log_error(doc)
      post_error("/invocation/#{request_id}/error", doc)
      return
    end
    call('POST', "/invocation/#{request_id}/response", payload)
  end

  def self.parse_header(value)
    return nil if value.nil? || value.empty?
    JSON.parse(value)
  rescue JSON::ParserError
    nil
  end

  def self.main
    # RUBYLIB (the task root, then the layers' ruby/lib) and GEM_PATH come from the launcher.
    $LOAD_PATH.unshift(TASK_ROOT) unless $LOAD_PATH.include?(TASK_ROOT)
    begin
      receiver, method = load_handler(ENV['_HANDLER'].to_s)
    rescue StandardError, ScriptError => e
      doc = error_document(e, 'Init')
      log_error(doc)
      post_error('/init/error', doc)
      exit!(1)
    end
    loop { invoke_once(receiver, method) }
  end
end

AtollLambda.main
