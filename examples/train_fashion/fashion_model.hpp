#pragma once
// The demo CNN for Fashion-MNIST and the demo's pixel scaling, shared by examples/train_fashion/main.cpp,
// examples/ddp/train.cpp and examples/deploy/main.cpp (which add this folder to their include paths). Include after <ember/ember.hpp>.
#include <cstdint>

#include <ember/ember.hpp>

namespace fashion {

// The demo CNN for 28x28 images, layer for layer as make_model(28) in examples/demo.py (indices as
// nn.Sequential numbers them): 0 Conv2d(1, 32, 3, padding=1), 1 BatchNorm2d(32), 2 ReLU, 3 MaxPool2d(2),
// 4 Conv2d(32, 64, 3, padding=1), 5 BatchNorm2d(64), 6 ReLU, 7 MaxPool2d(2), 8 Flatten, 9 Linear(64*7*7, 128),
// 10 ReLU, 11 Linear(128, 10).
inline ember::nn::Sequential<float> make_model(ember::Generator& gen) {
  namespace nn = ember::nn;
  nn::Sequential<float> model;
  model.push_back(nn::Conv2d<float>(1, 32, 3, {.padding = {1, 1}}, gen));
  model.push_back(nn::BatchNorm2d<float>(32));
  model.push_back(nn::ReLU<float>());
  model.push_back(nn::MaxPool2d<float>(2));
  model.push_back(nn::Conv2d<float>(32, 64, 3, {.padding = {1, 1}}, gen));
  model.push_back(nn::BatchNorm2d<float>(64));
  model.push_back(nn::ReLU<float>());
  model.push_back(nn::MaxPool2d<float>(2));
  model.push_back(nn::Flatten<float>());
  model.push_back(nn::Linear<float>(64 * 7 * 7, 128, true, gen));
  model.push_back(nn::ReLU<float>());
  model.push_back(nn::Linear<float>(128, 10, true, gen));
  return model;
}

// The images as the Python demo scales them: ds.data.float().div(255).unsqueeze(1), (N, 1, 28, 28) in [0, 1].
inline ember::Tensor<float> scaled(const ember::Tensor<std::uint8_t>& images) {
  return ember::div(images.to<float>(), 255.0f).unsqueeze(1);
}

}  // namespace fashion
