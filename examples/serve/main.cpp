// Serves one .ember model over HTTP (Open Inference Protocol v2) until SIGINT or SIGTERM:
//   ./serve model.ember [name] [port]
// then, for example: curl localhost:8080/v2/models/name
#include <cstdlib>
#include <iostream>
#include <string>

#include <ember/ember.hpp>
#include <ember/serve/server.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " MODEL.ember [NAME] [PORT]\n";
    return 2;
  }
  const std::string path = argv[1];
  const std::string name = argc > 2 ? argv[2] : "model";
  ember::serve::ServerOptions options;
  options.port = static_cast<unsigned short>(argc > 3 ? std::atoi(argv[3]) : 8080);
  options.handle_signals = true;  // SIGINT/SIGTERM: stop accepting, answer what is in flight, return
  try {
    ember::serve::Server server(options);
    server.add_model(name, ember::deploy::load(path));
    server.listen();
    std::cerr << "serving '" << name << "' on http://" << options.host << ':' << server.port() << '\n';
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "serve: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
